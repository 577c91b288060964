@echo off
rem Install cifar-tutorial from this offline kit (Windows): nothing is fetched from the network.
rem
rem   install.bat [VENV] [options of cifar-tutorial doctor]
rem
rem VENV (default %USERPROFILE%\cifar-tutorial-venv) is created, or reused when it exists.
setlocal
set "KIT=%~dp0"
set "VENV=%~1"
if "%VENV%"=="" set "VENV=%USERPROFILE%\cifar-tutorial-venv"
if not "%~1"=="" shift
set "PYTHON=py -3"
where py >nul 2>nul || set "PYTHON=python"

echo == %TIME% start
if not exist "%VENV%\Scripts\python.exe" (
    %PYTHON% -m venv "%VENV%" || goto :failed
    call echo == %%TIME%% virtual environment %VENV%
)
"%VENV%\Scripts\python.exe" -m pip install --no-index --find-links "%KIT%wheels" cifar-tutorial || goto :failed
echo == %TIME% pip install --no-index --find-links wheels cifar-tutorial
if exist "%KIT%data\SHA256SUMS" (
    "%VENV%\Scripts\python.exe" -m cifar_tutorial.course.bundle verify "%KIT%data" || goto :failed
    for %%A in ("%KIT%data\*.tar.gz") do (
        "%VENV%\Scripts\cifar-tutorial.exe" prefetch --from-archive "%%~A" || goto :failed
    )
    call echo == %%TIME%% CIFAR-10 checked and installed
)
echo == %TIME% installed; now the readiness check:
"%VENV%\Scripts\cifar-tutorial.exe" doctor --notebook-dir "%KIT%notebooks" %1 %2 %3 %4
set "CODE=%ERRORLEVEL%"
pause
exit /b %CODE%

:failed
echo The installation stopped: see the message above.
pause
exit /b 1
